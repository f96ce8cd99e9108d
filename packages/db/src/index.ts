/**
 * @faultline/db — Faultline's data layer: one schema and one migration set
 * for SQLite (the embedded default) and PostgreSQL (the scale-out), the
 * stores the web app keeps everything in, and the grading queue.
 */
export type {
  Assignment,
  AssignmentsStore,
  CreateAssignmentResult,
  LatePolicy,
  NewAssignment,
} from './assignments.ts';
export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export type { Dialect } from './context.ts';
export type { Course, CourseMember, CoursesStore, CreateCourseResult, JoinResult } from './courses.ts';
export { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, normalizeJoinCode } from './courses.ts';
export type {
  AssignmentStats,
  DashboardStore,
  ExerciseStats,
  GradeRow,
  TestFailures,
} from './dashboard.ts';
export type { Draft, DraftsStore, SaveDraftResult } from './drafts.ts';
export type {
  ExerciseSummary,
  ExercisesStore,
  ExerciseVersionSummary,
  JsonObject,
  NewExerciseVersion,
  PutVersionResult,
  SetCurrentResult,
} from './exercises.ts';
export { migrations } from './migrations/index.ts';
export type { DatabaseTarget, Db, OpenOptions } from './open.ts';
export { ACCEPTED_URLS, openDatabase, parseDatabaseUrl } from './open.ts';
export type {
  ClaimedJob,
  CompleteResult,
  ExtendResult,
  FailResult,
  GradingQueue,
  LeaseRefusal,
  QueueCounts,
} from './queue.ts';
export type { RateLimitResult, RateLimitsStore } from './rate-limits.ts';
export type {
  CourseRole,
  ExerciseSource,
  HiddenTestsPolicy,
  Schema,
  SubmissionStatus,
  TestStatus,
  TestVisibility,
  UserRole,
  Verdict,
} from './schema.ts';
export type { Session, SessionsStore } from './sessions.ts';
export type {
  CreateSubmissionResult,
  ExerciseProgress,
  GradedTest,
  GradingResult,
  InstructorSubmissionSummary,
  NewSubmission,
  RecentFilter,
  ReportLike,
  Submission,
  SubmissionSummary,
  SubmissionsStore,
} from './submissions.ts';
export { gradingResultFromReport, VERDICTS } from './submissions.ts';
export type { NewUpload, Upload, UploadsStore } from './uploads.ts';
export type { CreateUserResult, NewUser, User, UsersStore } from './users.ts';
export { isInstructorRole, normalizeEmail, USER_ROLES } from './users.ts';
