// Typed operations from the API's contract: `npm run codegen` writes src/gql/ from the
// committed schema snapshot and the graphql() documents in src/, so a schema change that
// breaks the console fails `tsc --noEmit`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTime: "string",
          Date: "string",
          Time: "string",
          Decimal: "string",
          GeoJSON: "GeoJSON.Geometry",
          JSON: "unknown",
        },
      },
    },
  },
};

export default config;
