// Short names for the generated API types (src/api/schema.d.ts).
import type { Schemas } from './client';

export type Flow = Schemas['Flow'];
export type FlowRun = Schemas['FlowRun'];
export type TaskRun = Schemas['TaskRun'];
export type State = Schemas['State'];
export type Deployment = Schemas['Deployment'];
export type WorkQueue = Schemas['WorkQueue'];
export type Log = Schemas['Log'];
export type SavedSearch = Schemas['SavedSearch'];
export type HistoryInterval = Schemas['HistoryInterval'];
export type FlowRunFilter = Schemas['FlowRunFilter'];
export type BlockDocument = Schemas['BlockDocument'];
export type BlockType = Schemas['BlockType'];
export type BlockSchema = Schemas['BlockSchema'];
export type ConcurrencyLimit = Schemas['ConcurrencyLimit'];
