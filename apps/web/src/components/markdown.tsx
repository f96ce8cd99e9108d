/**
 * An exercise's README, rendered on the server: GitHub-flavoured Markdown
 * (tables, task lists) with highlighted code. Raw HTML in the Markdown is
 * not rendered (react-markdown's default), so an author's file cannot put
 * script into a learner's page.
 */
import type { ComponentProps } from 'react';
import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';

function Input(props: ComponentProps<'input'>) {
  // remark-gfm's task-list checkboxes carry no label; axe (rightly) flags them.
  if (props.type === 'checkbox') return <input {...props} aria-label={props.checked ? 'done' : 'to do'} />;
  return <input {...props} />;
}

/** A code block scrolls sideways when it is wide: focusable, so a keyboard can scroll it too. */
function Pre(props: ComponentProps<'pre'>) {
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
  return <pre {...props} tabIndex={0} />;
}

/** Tables scroll sideways too (display: block in globals.css): focusable for the same reason. */
function Table(props: ComponentProps<'table'>) {
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
  return <table {...props} tabIndex={0} />;
}

export function Markdown({ source }: { source: string }) {
  return (
    <div className="prose-faultline">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[rehypeHighlight]}
        components={{ input: Input, pre: Pre, table: Table }}
      >
        {source}
      </ReactMarkdown>
    </div>
  );
}
