// Pothos hands a prisma field an empty `select` when a client asks only for `__typename` of a
// mutation result; Prisma rejects an empty select, so it selects the id instead.
export function nonEmpty<Q extends object>(query: Q): Q {
  const select = (query as { select?: object }).select;
  return select && Object.keys(select).length === 0 ? { ...query, select: { id: true } } : query;
}
