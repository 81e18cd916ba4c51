import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// Mantine asks for media queries and element sizes, which happy-dom does not compute.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    addListener: () => undefined,
    removeListener: () => undefined,
    dispatchEvent: () => false,
  }),
});
// happy-dom has no ResizeObserver: one that observes nothing.
const ignore = () => undefined;
window.ResizeObserver ??= class {
  observe = ignore;
  unobserve = ignore;
  disconnect = ignore;
} as unknown as typeof ResizeObserver;

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});
