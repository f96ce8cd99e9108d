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

export function Markdown({ source }: { source: string }) {
  return (
    <div className="prose-faultline">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[rehypeHighlight]}
        components={{ input: Input }}
      >
        {source}
      </ReactMarkdown>
    </div>
  );
}
