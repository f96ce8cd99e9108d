/**
 * Courses and who is in them. A course has a join code an instructor reads
 * out or writes on a board: 8 characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L, and no vowels, so no words), 28^8 ≈ 2^38, random
 * (crypto) and unique. Guessing is further slowed by the app's rate limit on
 * joins. Codes are matched ignoring case, spaces and dashes.
 */
import { randomInt } from 'node:crypto';
import { type Ctx, newId, scrubNul } from './context.ts';
import type { CourseRole, CoursesTable } from './schema.ts';
import { isInstructorRole, toUser, type User } from './users.ts';

export type { CourseRole };

export const JOIN_CODE_ALPHABET = '23456789BCDFGHJKMNPQRSTVWXYZ';
export const JOIN_CODE_LENGTH = 8;

export interface Course {
  id: string;
  title: string;
  ownerId: string;
  /** 8 characters of JOIN_CODE_ALPHABET, upper case. */
  joinCode: string;
  createdAt: number;
}

export type CreateCourseResult =
  | { kind: 'ok'; course: Course }
  | { kind: 'err'; reason: 'unknown-user' | 'not-an-instructor' };

export type JoinResult =
  | {
      kind: 'ok';
      course: Course;
      /** The member's role in the course (an existing member keeps theirs). */
      role: CourseRole;
      /** False when the user was already a member. */
      joined: boolean;
    }
  | { kind: 'err'; reason: 'unknown-code' };

export interface CourseMember {
  user: User;
  role: CourseRole;
  joinedAt: number;
}

export interface CoursesStore {
  /** The owner (an instructor or author) becomes the course's first instructor. */
  create(input: { title: string; ownerId: string }): Promise<CreateCourseResult>;
  get(courseId: string): Promise<Course | null>;
  byJoinCode(code: string): Promise<Course | null>;
  /** Joins as a learner; idempotent. */
  join(code: string, userId: string): Promise<JoinResult>;
  /** Adds (or changes the role of) a member, e.g. a second instructor. */
  addMember(courseId: string, userId: string, role: CourseRole): Promise<void>;
  /** The user's courses with their role in each, by title. */
  forUser(userId: string): Promise<{ course: Course; role: CourseRole }[]>;
  /** Instructors first, then by email. */
  members(courseId: string): Promise<CourseMember[]>;
  roleIn(courseId: string, userId: string): Promise<CourseRole | null>;
}

export function generateJoinCode(): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}

/** A code as someone typed it ("bcdf-ghjk ") in its stored form ("BCDFGHJK"). */
export const normalizeJoinCode = (code: string): string => code.replace(/[\s-]/g, '').toUpperCase();

function toCourse(row: CoursesTable): Course {
  return {
    id: row.id,
    title: row.title,
    ownerId: row.owner_id,
    joinCode: row.join_code,
    createdAt: row.created_at,
  };
}

export function createCoursesStore(ctx: Ctx): CoursesStore {
  const { db, clock } = ctx;

  async function byJoinCode(code: string): Promise<Course | null> {
    const row = await db
      .selectFrom('courses')
      .selectAll()
      .where('join_code', '=', normalizeJoinCode(code))
      .executeTakeFirst();
    return row ? toCourse(row) : null;
  }

  return {
    async create({ title, ownerId }) {
      return ctx.write(async (trx) => {
        const owner = await trx
          .selectFrom('users')
          .select('role')
          .where('id', '=', ownerId)
          .executeTakeFirst();
        if (!owner) return { kind: 'err', reason: 'unknown-user' } as const;
        if (!isInstructorRole(owner.role)) return { kind: 'err', reason: 'not-an-instructor' } as const;
        const now = clock.now();
        // A collision among 28^8 codes is rare; the unique index makes it safe and we draw again.
        for (;;) {
          const row: CoursesTable = {
            id: newId(),
            title: scrubNul(title.trim()),
            owner_id: ownerId,
            join_code: generateJoinCode(),
            created_at: now,
          };
          const inserted = await trx
            .insertInto('courses')
            .values(row)
            .onConflict((oc) => oc.column('join_code').doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!inserted) continue;
          await trx
            .insertInto('course_members')
            .values({ course_id: row.id, user_id: ownerId, role: 'instructor', joined_at: now })
            .execute();
          return { kind: 'ok', course: toCourse(row) } as const;
        }
      });
    },

    async get(courseId) {
      const row = await db.selectFrom('courses').selectAll().where('id', '=', courseId).executeTakeFirst();
      return row ? toCourse(row) : null;
    },

    byJoinCode,

    async join(code, userId) {
      const course = await byJoinCode(code);
      if (!course) return { kind: 'err', reason: 'unknown-code' };
      const inserted = await db
        .insertInto('course_members')
        .values({ course_id: course.id, user_id: userId, role: 'learner', joined_at: clock.now() })
        .onConflict((oc) => oc.columns(['course_id', 'user_id']).doNothing())
        .returning('role')
        .executeTakeFirst();
      if (inserted) return { kind: 'ok', course, role: 'learner', joined: true };
      const existing = await db
        .selectFrom('course_members')
        .select('role')
        .where('course_id', '=', course.id)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return { kind: 'ok', course, role: existing.role, joined: false };
    },

    async addMember(courseId, userId, role) {
      await db
        .insertInto('course_members')
        .values({ course_id: courseId, user_id: userId, role, joined_at: clock.now() })
        .onConflict((oc) => oc.columns(['course_id', 'user_id']).doUpdateSet({ role }))
        .execute();
    },

    async forUser(userId) {
      const rows = await db
        .selectFrom('course_members')
        .innerJoin('courses', 'courses.id', 'course_members.course_id')
        .selectAll('courses')
        .select('course_members.role')
        .where('course_members.user_id', '=', userId)
        .orderBy('courses.title')
        .orderBy('courses.id')
        .execute();
      return rows.map((row) => ({ course: toCourse(row), role: row.role }));
    },

    async members(courseId) {
      const rows = await db
        .selectFrom('course_members')
        .innerJoin('users', 'users.id', 'course_members.user_id')
        .select([
          'users.id',
          'users.email',
          'users.display_name',
          'users.role as user_role',
          'users.created_at',
          'course_members.role',
          'course_members.joined_at',
        ])
        .where('course_members.course_id', '=', courseId)
        .orderBy('course_members.role')
        .orderBy('users.email')
        .execute();
      return rows.map((row) => ({
        user: toUser({ ...row, role: row.user_role }),
        role: row.role,
        joinedAt: row.joined_at,
      }));
    },

    async roleIn(courseId, userId) {
      const row = await db
        .selectFrom('course_members')
        .select('role')
        .where('course_id', '=', courseId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.role ?? null;
    },
  };
}
