/** The drift HTML report's inline style sheet and its one small script (table sorting; the page reads fully without it). */
import { AXIS_COLORS, SIDE_COLORS } from '../axis.ts';
import { SIDE_TEXT } from './svg.ts';

// Colours and type follow ui/src/styles.css (the web UI), so the report and the drift page look alike.
/** The report's CSS: screen and print. */
export const REPORT_CSS = `
:root{--bg:#f5f6f8;--card:#fff;--border:#e1e4e9;--text:#1b2130;--muted:#5d6677;--accent:#2257d6;--ok:#1d7a36;--ok-bg:#e5f4e9;--warn:#8f5300;--warn-bg:#fff2dc;--bad:#b42318;--bad-bg:#fde7e6;--gray:#4b5565;--gray-bg:#eceff3;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans","Helvetica Neue",Arial,sans-serif;font-size:14px;line-height:1.5;color:var(--text);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 0 10px;font-weight:650}h2{font-size:17px;margin:26px 0 8px}h3{font-size:16px;margin:0 0 4px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}h4{font-size:13px;margin:0 0 4px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
a{color:var(--accent)}code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px;background:var(--gray-bg);padding:0 4px;border-radius:4px;word-break:break-word}
.kicker{color:var(--muted);font-size:12.5px;margin:0;text-transform:uppercase;letter-spacing:.05em}.muted{color:var(--muted)}
.verdict{display:flex;gap:12px;align-items:center;flex-wrap:wrap;padding:12px 16px;border-radius:8px;margin-bottom:14px;border:1px solid var(--border);background:var(--card)}
.verdict b{font-size:19px;padding:2px 12px;border-radius:999px}.verdict.drift b{color:var(--bad);background:var(--bad-bg)}.verdict.ok b{color:var(--ok);background:var(--ok-bg)}.verdict.none b{color:var(--warn);background:var(--warn-bg)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin-bottom:14px}
.tile{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:10px 14px;min-width:0}.tl{color:var(--muted);font-size:12.5px}.tv{font-size:19px;font-weight:650;overflow-wrap:anywhere}.th{color:var(--muted);font-size:12.5px}
dl.settings{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0;background:var(--card);border:1px solid var(--border);border-radius:8px;padding:12px 16px;font-size:13px}dl.settings dt{font-weight:600}dl.settings dd{margin:0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;background:var(--card)}
.tablewrap{overflow-x:auto;border:1px solid var(--border);border-radius:8px;background:var(--card)}
table.sum,table.skipped{width:100%}
.sum th,.skipped th{text-align:left;font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.03em;padding:6px 10px;border-bottom:1px solid var(--border);white-space:nowrap}
.sum td,.skipped td{padding:6px 10px;border-bottom:1px solid #eef0f3;vertical-align:top}.sum .num{text-align:right;white-space:nowrap}
.sum tr.drift td:first-child{box-shadow:inset 3px 0 0 var(--bad)}
.sum th button{all:unset;cursor:pointer}.sum th button:focus-visible{outline:2px solid var(--accent)}.sum th[aria-sort=ascending] button::after{content:" ▲"}.sum th[aria-sort=descending] button::after{content:" ▼"}
.badge{display:inline-block;border-radius:999px;padding:0 9px;font-size:12px;font-weight:600;line-height:1.7;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}.badge.drift{color:var(--bad);background:var(--bad-bg)}.badge.nodata,.badge.skip{color:var(--gray);background:var(--gray-bg)}
.up{color:var(--bad);font-weight:600}
.col{background:var(--card);border:1px solid var(--border);border-left:4px solid var(--ok);border-radius:8px;padding:14px 18px;margin:0 0 16px;content-visibility:auto;contain-intrinsic-size:auto 640px}
.col.drift{border-left-color:var(--bad)}.col.nodata{border-left-color:var(--gray)}
.cn{font-weight:650;overflow-wrap:anywhere}.ty{color:var(--muted);font-weight:400;font-size:13px}
.explain{margin:2px 0}.facts{color:var(--muted);font-size:12.5px;margin:2px 0 6px}.note{color:var(--warn);font-size:13px;margin:4px 0}
.legend{font-size:12.5px;margin:6px 0}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin:0 5px 0 10px}.legend i:first-child{margin-left:0}
.kr{background:${SIDE_COLORS.reference}}.kc{background:${SIDE_COLORS.current}}
.charts{display:flex;flex-wrap:wrap;gap:8px 24px}figure{margin:0;flex:0 1 560px;min-width:0}figcaption{font-size:12.5px;color:var(--muted);margin-bottom:2px;max-width:560px}
svg.chart{display:block;max-width:100%;height:auto;overflow:visible}svg.defs{position:absolute}
svg text{font-family:inherit;font-size:11px;fill:${AXIS_COLORS.text}}svg .at{font-size:11px;fill:var(--text)}svg .tag{fill:var(--text);font-weight:600}svg .vh{font-size:10px;text-transform:uppercase}
svg .vr{fill:${SIDE_TEXT.reference}}svg .vc{fill:${SIDE_TEXT.current}}svg .g{stroke:${AXIS_COLORS.grid}}svg .ax{stroke:${AXIS_COLORS.text};fill:none}svg .hit{fill:transparent}svg .hit:hover{fill:rgba(34,87,214,.06)}
svg .gap{stroke:var(--text);stroke-width:1.5;stroke-dasharray:4 3}.mkr{marker:url(#mw-mr)}.mkc{marker:url(#mw-mc)}
.foot{font-size:12px;color:var(--muted);margin:4px 0 0;max-width:560px}
.side{flex:0 1 560px;font-size:13px}.unseen b{color:var(--warn)}
.below{display:flex;flex-wrap:wrap;gap:8px 40px;margin-top:10px}.quant{flex:0 1 560px}
table.q{font-size:12.5px}table.q th,table.q td{padding:2px 12px 2px 0;text-align:right;border-bottom:1px solid #eef0f3}table.q th:first-child,table.q td:first-child{text-align:left}table.q th{color:var(--muted);font-weight:600}
.nulls{flex:0 1 420px;font-size:13px}.nl{display:grid;grid-template-columns:70px 120px 56px auto;gap:8px;align-items:center}
.nbar{display:block;height:8px;background:var(--gray-bg);border-radius:4px;overflow:hidden}.nbar i{display:block;height:100%;background:var(--gray)}
.flag{color:var(--bad);font-weight:600;margin:4px 0}
footer{color:var(--muted);font-size:12px;margin-top:30px}
@page{size:landscape;margin:10mm}
@media print{
:root{background:#fff;font-size:12px}main{max-width:none;padding:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.col{content-visibility:visible;break-inside:avoid;border-width:1px 1px 1px 4px}
h2{break-after:avoid}.sum tr{break-inside:avoid}.tablewrap{overflow:visible;border:0}
.sum th,.sum td{padding:3px 6px;font-size:11px}.tiles{grid-template-columns:repeat(4,minmax(0,1fr))}
.charts{flex-wrap:nowrap}.charts>figure,.charts>.side{flex:1 1 0}.quant{flex:0 1 auto}.nulls{flex:1 1 300px}
.col{padding:8px 14px;margin-bottom:10px}table.q{font-size:11px}table.q th,table.q td{padding:0 10px 0 0}.below{margin-top:4px}
a{color:inherit;text-decoration:none}.sum th button::after{content:""!important}svg .hit:hover{fill:transparent}
}`;

/**
 * Sorts the summary table by a heading (numbers by their data-v value, missing ones last; text
 * alphabetically). Added only with JavaScript on: without it the headings stay plain text.
 */
export const SORT_SCRIPT = `(function(){var t=document.getElementById('summary');if(!t)return;var b=t.tBodies[0],hs=t.tHead.rows[0].cells;
Array.prototype.forEach.call(hs,function(th,i){var btn=document.createElement('button');btn.type='button';btn.textContent=th.textContent;th.textContent='';th.appendChild(btn);
btn.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending',num=th.classList.contains('num')||th.hasAttribute('data-num');
Array.prototype.forEach.call(hs,function(h){h.removeAttribute('aria-sort')});th.setAttribute('aria-sort',asc?'ascending':'descending');
var key=function(r){var c=r.cells[i];if(!c)return null;var v=c.getAttribute('data-v');if(num||v!==null)return v===null||v===''?null:+v;return c.textContent.toLowerCase()};
var rows=Array.prototype.slice.call(b.rows);
rows.sort(function(x,y){var a=key(x),c=key(y);if(a===c)return 0;if(a===null)return 1;if(c===null)return -1;return (a<c?-1:1)*(asc?1:-1)});
rows.forEach(function(r){b.appendChild(r)})})})})();`;
