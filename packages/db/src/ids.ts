// ULIDs for every id: sortable by creation time, safe in URLs.
import { monotonicFactory } from "ulid";

const next = monotonicFactory();
export const newId = (): string => next();
