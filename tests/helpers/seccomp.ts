import { libseccomp } from '../../lib/seccomp/libseccomp';

/** Why the tests that need the real libseccomp (Debian package libseccomp2) skip, or undefined when it loads. */
export function libseccompSkipReason(): string | undefined {
  try {
    libseccomp();
    return undefined;
  } catch (e) {
    return `libseccomp unavailable: ${String(e)}`;
  }
}
