// Expected failures of newsroom operations. Mutations return them as typed results (Pothos'
// errors plugin); anywhere else they become GraphQL errors with `extensions.code`.

export abstract class NewsroomError extends Error {
  abstract readonly code: string;
}

export type Issue = { path: string[]; message: string };

/** Input that cannot be accepted; each issue names the input field it is about. */
export class ValidationError extends NewsroomError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  static at(path: string[], message: string) {
    return new ValidationError([{ path, message }]);
  }
}

export class NotFoundError extends NewsroomError {
  readonly code = 'NOT_FOUND';
  constructor(
    what: string,
    readonly id?: string,
  ) {
    super(`${what} not found.`);
  }
}

export class ForbiddenError extends NewsroomError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'Your key does not allow this.') {
    super(message);
  }
}

/** A unique value already taken, or a stale `version`: re-read and try again. */
export class ConflictError extends NewsroomError {
  readonly code = 'CONFLICT';
  constructor(
    message: string,
    readonly currentVersion?: number,
  ) {
    super(message);
  }
}

/** A missing, unknown or revoked API key (HTTP 401). */
export class UnauthenticatedError extends NewsroomError {
  readonly code = 'UNAUTHENTICATED';
}
