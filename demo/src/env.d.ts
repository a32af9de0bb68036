/** The guest's file sizes in bytes, by name, defined by vite.config.ts at build time (0 when unknown). */
declare const __GUEST_SIZES__: Record<string, number>;
