// Placeholder until the preflight action lands.
export {};
