// The typed results mutations return instead of throwing: clients select them with fragments.
import { ConflictError, ForbiddenError, type NewsroomError, NotFoundError, ValidationError, type Issue } from '../newsroom/errors.js';
import { builder } from './builder.js';

const ErrorInterface = builder.interfaceRef<NewsroomError>('Error').implement({
  description: 'An expected failure: nothing was changed.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code', { description: 'Stable machine-readable code, e.g. VALIDATION_FAILED.' }),
  }),
});

const IssueRef = builder.objectRef<Issue>('ValidationIssue').implement({
  fields: (t) => ({
    path: t.exposeStringList('path', { description: 'The input field, e.g. ["input", "byline", "0", "author"].' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ issues: t.field({ type: [IssueRef], resolve: (error) => error.issues }) }),
});
builder.objectType(NotFoundError, { name: 'NotFoundError', interfaces: [ErrorInterface], fields: () => ({}) });
builder.objectType(ForbiddenError, { name: 'ForbiddenError', interfaces: [ErrorInterface], fields: () => ({}) });
builder.objectType(ConflictError, {
  name: 'ConflictError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    currentVersion: t.exposeInt('currentVersion', { nullable: true, description: 'For a stale version: the current one.' }),
  }),
});
