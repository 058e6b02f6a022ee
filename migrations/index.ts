import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';

/** Every migration, oldest first. Listed by hand so that ts-jest, ts-node and the build all load the same set. */
export const migrations = [InitialSchema1764000000000];
