/** The CSRF token of this browser's console session (the readable rn_csrf cookie), if signed in. */
export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 'rn_csrf' && value) return value;
  }
  return undefined;
}
