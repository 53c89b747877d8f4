// presenceTyping: how long "typing…" shows before a text goes out — longer for longer texts, never over 3 s.

const BASE_MS = 400;
const PER_CHAR_MS = 40;
export const MAX_TYPING_MS = 3_000;

export const typingDurationMs = (text: string): number => Math.min(MAX_TYPING_MS, BASE_MS + PER_CHAR_MS * [...text].length);
