// Render formulas with KaTeX as a blog's KaTeX would, but strict: any error or strictness
// warning is a failure. Input (stdin): JSON [{"tex": "...", "display": true}, ...].
// Output (stdout): JSON [null | "error message", ...], one entry per formula.
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({ tex, display }) => {
    try {
      katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" });
      return null;
    } catch (error) {
      return String(error && error.message ? error.message : error);
    }
  });
  process.stdout.write(JSON.stringify(results));
});
