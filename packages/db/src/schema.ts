/**
 * The tables as Kysely sees them, after the drivers' values are normalised
 * (see `open.ts`): every time is an epoch-ms `number`, every count a
 * `number`, every flag an integer 0/1 — SQLite has no booleans and pg would
 * hand int8 back as a string, so neither kind of value is stored.
 *
 * JSON lives in text columns (`*_json`), parsed by the store that owns it.
 * The migrations in `migrations/` create exactly these columns; a change here
 * is a new migration there.
 */

export type UserRole = 'learner' | 'instructor' | 'author';
export type CourseRole = 'instructor' | 'learner';
export type ExerciseSource = 'folder' | 'upload';
export type Verdict = 'pass' | 'fail' | 'error' | 'timeout' | 'memory-limit' | 'compile-error';
export type TestStatus = 'pass' | 'fail' | 'error' | 'timeout' | 'memory-limit' | 'skipped';
export type TestVisibility = 'visible' | 'hidden' | 'after_due_date';
export type SubmissionStatus = 'pending' | 'graded' | 'grading-failed';
export type JobState = 'queued' | 'leased' | 'done' | 'gave-up';
export type LatePolicyKind = 'none' | 'accept' | 'refuse';
export type HiddenTestsPolicy = 'points' | 'hints' | 'messages-after-due';
export type UploadOutcome = 'accepted' | 'rejected';

export interface UsersTable {
  id: string;
  /** Lower-case and trimmed; unique. */
  email: string;
  password_hash: string;
  display_name: string;
  role: UserRole;
  created_at: number;
}

export interface SessionsTable {
  /** The caller's hash of the session token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** One content-addressed version of an exercise folder, without its files. */
export interface ExerciseVersionsTable {
  hash: string;
  exercise_id: string;
  meta_json: string;
  readme: string;
  starter: string;
  source: ExerciseSource;
  uploaded_by: string | null;
  created_at: number;
}

/**
 * Every file of a version, hidden tests and the reference solution included.
 * A table of its own so that no learner-facing query can select them by
 * accident: only `exercises.versionFiles` reads it.
 */
export interface ExerciseFilesTable {
  version_hash: string;
  path: string;
  content: string;
}

/** Which version of each exercise learners get. */
export interface ExercisesTable {
  id: string;
  current_hash: string;
  updated_at: number;
}

export interface DraftsTable {
  user_id: string;
  exercise_id: string;
  code: string;
  updated_at: number;
}

export interface SubmissionsTable {
  id: string;
  user_id: string;
  exercise_id: string;
  exercise_hash: string;
  assignment_id: string | null;
  code: string;
  status: SubmissionStatus;
  created_at: number;
  /** Set with the result (graded) or when grading gave up ('error'). */
  verdict: Verdict | null;
  score: number | null;
  max_score: number | null;
  report_json: string | null;
  graded_at: number | null;
  /** Why grading gave up ("grading failed 3 times: …"); for instructors. */
  failure_reason: string | null;
}

export interface SubmissionTestsTable {
  submission_id: string;
  /** The test's position in the report, from 0. */
  ordinal: number;
  name: string;
  visibility: TestVisibility;
  status: TestStatus;
  /** Points available. */
  points: number;
  /** Points earned. */
  earned: number;
}

export interface GradingJobsTable {
  id: string;
  submission_id: string;
  state: JobState;
  /** Claims so far, each one an attempt. */
  attempts: number;
  created_at: number;
  /** A queued job is not handed out before this time. */
  available_at: number;
  /** The current (or, once finished, the last) lease; null before the first claim. */
  lease_token: string | null;
  lease_until: number | null;
  worker_id: string | null;
  last_error: string | null;
  finished_at: number | null;
}

export interface CoursesTable {
  id: string;
  title: string;
  owner_id: string;
  join_code: string;
  created_at: number;
}

export interface CourseMembersTable {
  course_id: string;
  user_id: string;
  role: CourseRole;
  joined_at: number;
}

export interface AssignmentsTable {
  id: string;
  course_id: string;
  title: string;
  release_at: number;
  due_at: number;
  late_policy: LatePolicyKind;
  /** Set exactly when late_policy is 'accept'. */
  late_penalty_percent: number | null;
  hidden_tests: HiddenTestsPolicy;
  created_at: number;
}

export interface AssignmentExercisesTable {
  assignment_id: string;
  position: number;
  exercise_id: string;
}

export interface UploadsTable {
  id: string;
  user_id: string;
  exercise_id: string | null;
  content_hash: string;
  outcome: UploadOutcome;
  /** JSON array of messages; set exactly when the outcome is 'rejected'. */
  errors_json: string | null;
  created_at: number;
}

export interface RateLimitsTable {
  key: string;
  /** Hits in the current window. */
  hits: number;
  /** When the current window ends. */
  reset_at: number;
}

export interface Schema {
  users: UsersTable;
  sessions: SessionsTable;
  exercise_versions: ExerciseVersionsTable;
  exercise_files: ExerciseFilesTable;
  exercises: ExercisesTable;
  drafts: DraftsTable;
  submissions: SubmissionsTable;
  submission_tests: SubmissionTestsTable;
  grading_jobs: GradingJobsTable;
  courses: CoursesTable;
  course_members: CourseMembersTable;
  assignments: AssignmentsTable;
  assignment_exercises: AssignmentExercisesTable;
  uploads: UploadsTable;
  rate_limits: RateLimitsTable;
}
