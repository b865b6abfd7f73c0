// A small Markdown renderer for the reports and the model's answers: headings, paragraphs, lists, tables, fenced code,
// **bold**, *italic*, `code`, links and images. Everything is HTML-escaped first, so a report or an answer can never
// inject markup; links keep only http(s) and relative targets. Images become <img data-src>, which the page fills in
// (it fetches them with the API key), or their alt text where images are off.
"use strict";

window.Markdown = (() => {
  const escape = s => s.replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const safeUrl = u => /^(https?:|[^:]*$)/i.test(u) && !/^\s*javascript:/i.test(u);

  function inline(text, images) {
    const codes = [];
    let s = escape(text).replace(/`([^`]+)`/g, (_, c) => { codes.push(c); return `\u0000${codes.length - 1}\u0000`; });
    s = s.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_, alt, src) =>
      images && safeUrl(src) ? `<img alt="${alt}" data-src="${src}">` : `<em>[${alt || "image"}]</em>`);
    s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, label, href) =>
      safeUrl(href) ? `<a href="${href}" target="_blank" rel="noopener noreferrer">${label}</a>` : label);
    s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>").replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${codes[+i]}</code>`);
  }

  const cells = row => row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map(c => c.trim());
  const isRule = row => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(row);

  function render(text, { images = true } = {}) {
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    const out = [];
    let para = [];
    const flush = () => { if (para.length) { out.push(`<p>${inline(para.join(" "), images)}</p>`); para = []; } };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      let m;
      if (/^```/.test(line)) {
        flush();
        const code = [];
        while (++i < lines.length && !/^```/.test(lines[i])) code.push(lines[i]);
        out.push(`<pre><code>${escape(code.join("\n"))}</code></pre>`);
      } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        flush();
        out.push(`<h${m[1].length}>${inline(m[2], images)}</h${m[1].length}>`);
      } else if (/^\s*\|/.test(line) && i + 1 < lines.length && isRule(lines[i + 1])) {
        flush();
        const head = cells(line).map(c => `<th>${inline(c, images)}</th>`).join("");
        const rows = [];
        for (i += 2; i < lines.length && /^\s*\|/.test(lines[i]); i++)
          rows.push(`<tr>${cells(lines[i]).map(c => `<td>${inline(c, images)}</td>`).join("")}</tr>`);
        i--;
        out.push(`<table><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`);
      } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
        flush();
        const ordered = /^\s*\d+\./.test(line);
        const items = [];
        for (; i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]); i++)
          items.push(`<li>${inline(lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ""), images)}</li>`);
        i--;
        out.push(ordered ? `<ol>${items.join("")}</ol>` : `<ul>${items.join("")}</ul>`);
      } else if (line.trim() === "") {
        flush();
      } else {
        para.push(line.trim());
      }
    }
    flush();
    return out.join("\n");
  }

  return { render, escape };
})();
