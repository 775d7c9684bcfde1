// GraphQL Code Generator: types for the example operations in schema/operations, generated from
// the printed schema (no server, no network). `npm run codegen` prints the schema first.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['schema/operations/*.graphql'],
  ignoreNoDocuments: false,
  // ESM with NodeNext resolution: relative imports need their .js extension.
  emitLegacyCommonJSImports: false,
  generates: {
    'src/generated/graphql/': {
      preset: 'client',
      // persistedDocuments also writes persisted-documents.json ("sha256:<hash>" → document): the
      // trusted documents the gateway loads at start (src/server/persisted-operations.ts).
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: 'string', Date: 'string' },
        // Documents as typed strings: the browser page sends them without graphql-js.
        documentMode: 'string',
      },
    },
  },
};

export default config;
