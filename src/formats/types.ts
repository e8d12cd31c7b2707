/** The format contract is the catalog's (catalog/format.ts): plugins define formats with the same types. */
export type { FormatDef, FormatOptions, OutputFormat } from '../catalog/format.js';
