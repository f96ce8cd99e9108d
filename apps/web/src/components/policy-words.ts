/** An assignment's policies in a sentence each, as learners and instructors read them. */
import type { Assignment } from '@faultline/db';

export function latePolicyWords(policy: Assignment['latePolicy']): string {
  switch (policy.kind) {
    case 'none':
      return 'Late work is accepted and marked late.';
    case 'accept':
      return `Late work is accepted with ${policy.penaltyPercent}% off.`;
    case 'refuse':
      return 'Submissions after the due date are refused.';
    default: {
      const unreachable: never = policy;
      return unreachable;
    }
  }
}

export function hiddenTestsWords(policy: Assignment['hiddenTests']): string {
  switch (policy) {
    case 'points':
      return 'Hidden tests show their name, status and points.';
    case 'hints':
      return 'Hidden tests show their name, status and points, and a hint when they fail.';
    case 'messages-after-due':
      return 'Hidden tests show hints; after the due date, their full messages — if late work is refused, so that they cannot be copied into a late submission.';
    default: {
      const unreachable: never = policy;
      return unreachable;
    }
  }
}
