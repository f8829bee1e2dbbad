"""The accessibility audit of the browser tests: axe-core (npm, pinned in the project's
package-lock.json, installed by scripts/test.sh) run inside the page by the test itself.

The page gets axe from node_modules (``add_script_tag(path=…)``), never from a CDN. The
context that audits bypasses the content security policy only so that the injected script
runs: the policy itself is tested by test_security_policy.py and the keyboard test.
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA (ui.md: "WCAG 2.1 AA: no serious or critical violation").
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def audit(page) -> list[dict]:
    """The serious and critical WCAG 2.1 AA violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN, TAGS) if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['impact']} {v['id']}: {v['help']}")
        lines.extend(f"      {n['target']} — {n['summary'][:200]}".replace("\n", " ")
                     for n in v["nodes"][:3])
    return "\n".join(lines)
