/** A resource's body limit unless it sets one: 100 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;
