import { UserId } from '../user/user-id.value-object';

/** Who is making a request, once their credentials have been checked. */
export interface Caller {
  readonly userId: UserId;
  /** False until a session's one-time code has been verified; always true for trusted upstreams and JWTs. */
  readonly verified: boolean;
  /** The account's address, for session callers. */
  readonly email?: string;
}
