// Vite's `?raw` imports, used by the browser README test.
declare module '*?raw' {
  const text: string;
  export default text;
}
