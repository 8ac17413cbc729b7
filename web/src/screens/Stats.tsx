// The list in numbers: entries by status and by kind, and completions per
// month (from the runs), each drawn as bars with the figures written out.
import { useEffect, useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert } from "../form";
import type { GetListStatsResponse } from "../gen/completionist/media/v1/media_pb";
import { kindName, statusName } from "../labels";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function Stats() {
  const [stats, setStats] = useState<GetListStatsResponse>();
  const [error, setError] = useState("");
  useEffect(() => {
    media.getListStats({}).then(setStats, (e) => setError(describe(problem(e))));
  }, []);

  if (!stats) {
    return (
      <main>
        <h1>Stats</h1>
        <Alert>{error}</Alert>
        {!error && <p class="loading">Loading…</p>}
      </main>
    );
  }
  const pct = Math.round(stats.completedFraction * 100);
  return (
    <main>
      <h1>Stats</h1>
      <dl class="totals">
        <div>
          <dt>Entries</dt>
          <dd>{String(stats.totalCount)}</dd>
        </div>
        <div>
          <dt>Completed</dt>
          <dd>{pct}%</dd>
        </div>
        <div>
          <dt>Completions</dt>
          <dd>{String(stats.completionCount)}</dd>
        </div>
        <div>
          <dt>Mean rating</dt>
          <dd>{stats.meanRating === undefined ? "—" : stats.meanRating.toFixed(1)}</dd>
        </div>
      </dl>
      <Bars title="By status" bars={stats.statusCounts.map((c) => [statusName(c.status), Number(c.count)])} />
      <Bars title="By kind" bars={stats.kindCounts.map((c) => [kindName(c.kind), Number(c.count)])} />
      <Bars
        title="Completions per month"
        bars={stats.completionsByMonth.map((m) => [`${MONTHS[m.month - 1]} ${m.year}`, Number(m.count)])}
        empty="No completed runs yet."
      />
    </main>
  );
}

/** A horizontal bar chart: each bar labelled with its name and figure, so
 * the chart reads the same to a screen reader as it looks. */
function Bars({ title, bars, empty = "Nothing yet." }: { title: string; bars: [string, number][]; empty?: string }) {
  const max = Math.max(1, ...bars.map(([, n]) => n));
  return (
    <section class="chart" aria-labelledby={slug(title)}>
      <h2 id={slug(title)}>{title}</h2>
      {bars.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <ul>
          {bars.map(([name, n]) => (
            <li>
              <span class="bar-name">{name}</span>
              <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                <rect width={(100 * n) / max} height="10" />
              </svg>
              <span class="bar-value">{n}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const slug = (s: string) => `chart-${s.toLowerCase().replace(/[^a-z]+/g, "-")}`;
