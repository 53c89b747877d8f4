// The simulator's environment: its log level, the one setting it reads from the process.
export const simLogLevel = (): string => process.env.WA_SIM_LOG_LEVEL ?? "info";
