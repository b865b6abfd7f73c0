using System.Text;
using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Teachers;
using static Cortex1.Synth.Offline.Numbers;

namespace Cortex1.Synth.Offline;

/// <summary>
/// A deterministic teacher for when no API key is set: it computes real statistics from the window
/// (growth, averages, realised volatility, correlations, bootstrap intervals with a seed derived from
/// the task) and writes the report the prompt asks for — same sections, citations and calculations.
/// Its examples carry its own name; it never claims to be R1.
/// </summary>
public sealed class OfflineAnalyst : ITeacher
{
    public const string TeacherName = "offline-analyst/1";

    public string Name => TeacherName;
    public int MaxConcurrency => Math.Max(1, Environment.ProcessorCount);

    public Task<TeacherAnswer> AnswerAsync(SynthTask task, string prompt, CancellationToken ct) =>
        Task.FromResult(Write(task));

    public static TeacherAnswer Write(SynthTask task)
    {
        var focus = new WindowStatistics(task.Focus);
        var peers = task.Peers.Where(p => p.Days.Count >= 8 && p.Days.All(d => d.Get(MetricNames.CloseUsd) is not null))
            .Select(p => new WindowStatistics(p)).ToList();
        var report = new Report(task, focus, peers);
        return new TeacherAnswer(report.Reasoning(), report.Answer());
    }

    /// <summary>One report: the numbers are computed once and both the reasoning and the answer use them.</summary>
    private sealed class Report
    {
        private readonly SynthTask _task;
        private readonly WindowStatistics _s;
        private readonly IReadOnlyList<WindowStatistics> _peers;
        private readonly string _t; // ticker
        private readonly ReturnInterval _week, _month;
        private readonly int _days;

        public Report(SynthTask task, WindowStatistics focus, IReadOnlyList<WindowStatistics> peers)
        {
            _task = task;
            _s = focus;
            _peers = peers;
            _t = ChainNames.Ticker(task.Chain);
            _days = focus.Closes.Count;
            var seed = StableHash.Of(task.Key);
            _week = focus.Bootstrap(7, 0.90, seed);
            _month = focus.Bootstrap(30, 0.90, seed + 1);
        }

        // Values as shown in the text: calculations are evaluated on these, so they check exactly.
        private static double Shown(double x) => double.Parse(Value(x), System.Globalization.NumberStyles.Any, System.Globalization.CultureInfo.InvariantCulture);
        private static double ShownPct(double fraction) => Math.Round(fraction * 100, 2);

        private double C7 => Shown(_s.CloseDaysBack(7));
        private double Last => Shown(_s.LastClose);
        private double First => Shown(_s.FirstClose);
        private double Growth7 => (Last - C7) / C7;
        private double WindowGrowth => (Last - First) / First;
        private double Avg7 => _s.LastCloses(7).Select(Shown).Average();
        private double Vol30 => _s.Metric(MetricNames.Volatility30d) ?? _s.DailyVolatility;
        private double AnnualVol => ShownPct(Vol30) * Math.Sqrt(365) / 100;
        private double WeekLow => _s.LastClose * (1 + _week.Lower);
        private double WeekHigh => _s.LastClose * (1 + _week.Upper);
        private double WeekPoint => _s.LastClose * (1 + _week.Point);
        private double Drawdown => (Shown(_s.LastClose) - Shown(HighClose)) / Shown(HighClose);
        private double HighClose => _s.HighestClose.Get(MetricNames.CloseUsd)!.Value;
        private double LowClose => _s.LowestClose.Get(MetricNames.CloseUsd)!.Value;
        private bool Rising => Growth7 >= 0;

        public string Reasoning()
        {
            var b = new StringBuilder();
            b.AppendLine($"The task is a {Words(_task.Kind)} of {ChainNames.Name(_task.Chain)} for the {_days} days {Day(_task.Start)} to {Day(_task.End)}; the window is labelled {Label}.");
            b.AppendLine($"Step 1: the last close is {Usd(_s.LastClose)} and the close 7 days earlier was {Usd(_s.CloseDaysBack(7))}, so the weekly change is {Percent(Growth7)}; over the whole window the change is {Percent(WindowGrowth)}.");
            b.AppendLine($"Step 2: the 7-day average close is {Usd(Avg7)}, so price is {(Last >= Avg7 ? "above" : "below")} its short-term mean, which says {(Last >= Avg7 ? "positive" : "negative")} momentum.");
            b.AppendLine($"Step 3: realised volatility of daily log returns is {Percent(_s.DailyVolatility)} per day in this window; the stored 30-day figure is {Percent(Vol30)}, about {Percent(AnnualVol)} annualised.");
            foreach (var p in _peers)
                b.AppendLine($"Step 4 ({p.Chain}): the window correlation of daily log returns with {ChainNames.Ticker(p.Chain)} is {Ratio(_s.CorrelationWith(p) ?? 0)}; {ChainNames.Ticker(p.Chain)} moved {Percent(p.WindowGrowth)} over the same days.");
            b.AppendLine($"Step 5: resampling the {_s.LogReturns.Count} daily log returns {WindowStatistics.BootstrapSamples:N0} times gives a 7-day 90% range of {Percent(_week.Lower)} to {Percent(_week.Upper)} and a 30-day range of {Percent(_month.Lower)} to {Percent(_month.Upper)}.");
            b.AppendLine($"Step 6: with a {Label} label and {(Rising ? "positive" : "negative")} weekly momentum, position sizes stay small and every trade gets a stop below the bootstrap lower bound.");
            return b.ToString().TrimEnd();
        }

        private string Label => MarketTextOf(_task.Condition);

        public string Answer()
        {
            var sections = ReportSections.For(_task.Kind);
            var b = new StringBuilder();
            foreach (var section in sections)
            {
                b.AppendLine($"## {section}");
                b.AppendLine(section switch
                {
                    ReportSections.Summary => Summary(),
                    ReportSections.MarketData => MarketData(),
                    ReportSections.Calculations => Calculations(),
                    ReportSections.TrendAnalysis => Trend(),
                    ReportSections.CorrelationAnalysis => Correlation(),
                    ReportSections.NetworkAnalysis => Network(),
                    ReportSections.RiskFactors => RiskFactors(),
                    ReportSections.Opportunities => Opportunities(),
                    ReportSections.Forecast => Forecast(),
                    ReportSections.Risks => Risks(),
                    ReportSections.Mitigation => Mitigation(),
                    ReportSections.Recommendations => Recommendations(),
                    _ => throw new InvalidOperationException($"No writer for section '{section}'."),
                });
            }
            return b.ToString().TrimEnd();
        }

        private string Cite(double? value, string metric, Func<double, string> format) =>
            value is { } v ? $"{format(v)} [{metric}]" : "n/a";

        private string Summary()
        {
            var m = _s.Last;
            var g7 = m.Get(MetricNames.PriceGrowth7d);
            var trend = Rising ? "gained" : "lost";
            return $"{ChainNames.Name(_task.Chain)} ({_t}) closed the window at {Usd(_s.LastClose)} [close_usd] on {Day(_task.End)}, having {trend} " +
                   $"{(g7 is { } g ? $"{Percent(Math.Abs(g))} [price_growth_7d]" : Percent(Math.Abs(Growth7)))} in the last week. " +
                   $"The window is labelled {Label}: over {_days} days price moved {Percent(WindowGrowth)} and realised volatility is {Cite(m.Get(MetricNames.Volatility30d), MetricNames.Volatility30d, Percent)} per day. " +
                   $"The bootstrap puts the 7-day 90% range at {Usd(WeekLow)} to {Usd(WeekHigh)}, so position sizing should stay {(AnnualVol > 1 ? "small" : "moderate")}.";
        }

        private string MarketData()
        {
            var m = _s.Last;
            var b = new StringBuilder();
            b.AppendLine($"- {_t} close {Cite(m.Get(MetricNames.CloseUsd), MetricNames.CloseUsd, Usd)}, intraday high {Cite(m.Get(MetricNames.HighUsd), MetricNames.HighUsd, Usd)}, low {Cite(m.Get(MetricNames.LowUsd), MetricNames.LowUsd, Usd)}.");
            if (m.Get(MetricNames.VolumeUsd) is { } vol)
                b.AppendLine($"- {_t} trading volume {Usd(vol)} [volume_usd]" + (m.Get(MetricNames.MarketCapUsd) is { } cap ? $" against a market cap of {Usd(cap)} [market_cap_usd]." : "."));
            if (m.Get(MetricNames.VolumeGrowth7d) is { } vg)
                b.AppendLine($"- 7-day volume growth {Percent(vg)} [volume_growth_7d]; 30-day volatility {Cite(m.Get(MetricNames.Volatility30d), MetricNames.Volatility30d, Percent)} per day.");
            if (m.Get(MetricNames.PriceGrowth30d) is { } g30)
                b.AppendLine($"- 30-day price growth {Percent(g30)} [price_growth_30d]; 1-day change {Cite(m.Get(MetricNames.PriceGrowth1d), MetricNames.PriceGrowth1d, Percent)}.");
            foreach (var p in _peers)
            {
                var corr = m.Get(MetricNames.Correlation30d(p.Chain));
                b.AppendLine($"- {ChainNames.Ticker(p.Chain)} closed at {Usd(p.LastClose)} [close_usd]" +
                             (corr is { } c ? $"; the 30-day correlation of {_t} with {ChainNames.Ticker(p.Chain)} is {Ratio(c)} [{MetricNames.Correlation30d(p.Chain)}]." : "."));
            }
            return b.ToString().TrimEnd();
        }

        private string Calculations()
        {
            var b = new StringBuilder();
            b.AppendLine($"- 7d growth = ({Value(Last)} - {Value(C7)}) / {Value(C7)} = {Percent(Growth7)}");
            b.AppendLine($"- Window growth = ({Value(Last)} - {Value(First)}) / {Value(First)} = {Percent(WindowGrowth)}");
            var last7 = _s.LastCloses(7).Select(c => Value(Shown(c)));
            b.AppendLine($"- 7d average close = ({string.Join(" + ", last7)}) / 7 = {Value(Avg7)}");
            b.AppendLine($"- Annualised volatility = {Percent(Vol30)} × √365 = {Percent(AnnualVol)}");
            b.AppendLine($"- Drawdown from window high = ({Value(Last)} - {Value(Shown(HighClose))}) / {Value(Shown(HighClose))} = {Percent(Drawdown)}");
            if (_s.Last.Get(MetricNames.VolumeUsd) is { } vol && _s.Last.Get(MetricNames.MarketCapUsd) is { } cap && cap > 0)
                b.AppendLine($"- Turnover = {Value(Shown(vol))} / {Value(Shown(cap))} = {Ratio(Shown(vol) / Shown(cap))}");
            foreach (var p in _peers.Take(2))
            {
                var other = Shown(p.LastClose);
                var (num, den, name) = other >= Last ? (other, Last, $"{ChainNames.Ticker(p.Chain)}/{_t}") : (Last, other, $"{_t}/{ChainNames.Ticker(p.Chain)}");
                b.AppendLine($"- {name} ratio = {Value(num)} / {Value(den)} = {Value(num / den)}");
            }
            return b.ToString().TrimEnd();
        }

        private string Trend()
        {
            var d7 = _s.DaysBack(7);
            var above = Last >= Avg7;
            return $"The price sits {Percent(Math.Abs((Last - Avg7) / Avg7))} {(above ? "above" : "below")} its 7-day average of {Usd(Avg7)}, which signals {(above ? "upward" : "downward")} momentum. " +
                   $"On {Day(d7.Day)} {_t} closed at {Usd(_s.CloseDaysBack(7))} [close_usd], so the week {(Rising ? "added" : "took away")} {Usd(Math.Abs(Last - C7))} per coin. " +
                   $"Compared with the start of the window on {Day(_task.Start)} at {Usd(_s.FirstClose)}, {_t} is {(WindowGrowth >= 0 ? "up" : "down")} {Percent(Math.Abs(WindowGrowth))}. " +
                   VolumeSentence() +
                   $" Support sits near the {Day(_s.LowestClose.Day)} close of {Usd(LowClose)} [close_usd]; resistance is the {Day(_s.HighestClose.Day)} close of {Usd(HighClose)} [close_usd].";
        }

        private string VolumeSentence() => _s.Last.Get(MetricNames.VolumeGrowth7d) is { } vg
            ? $"Trading volume {(vg >= 0 ? "rose" : "fell")} {Percent(Math.Abs(vg))} over 7 days, so participation from traders and investors is {(vg >= 0 ? "broadening" : "thinning")}, and liquidity {(vg >= 0 ? "supports" : "no longer confirms")} the move."
            : "Trading volume data is incomplete in this window, so participation cannot be confirmed.";

        private string Correlation()
        {
            var b = new StringBuilder();
            if (_peers.Count == 0) return "No other chain has data for this window, so no correlation can be measured; the analysis relies on the single series.";
            foreach (var p in _peers)
            {
                var stored = _s.Last.Get(MetricNames.Correlation30d(p.Chain));
                var window = _s.CorrelationWith(p);
                b.Append($"{_t} and {ChainNames.Ticker(p.Chain)}: the stored 30-day correlation of daily log returns is {(stored is { } c ? $"{Ratio(c)} [{MetricNames.Correlation30d(p.Chain)}]" : "not available")}, and over these {_days} days it is {Ratio(window ?? 0)}. ");
                b.Append($"{ChainNames.Ticker(p.Chain)} moved {Percent(p.WindowGrowth)} against {Percent(WindowGrowth)} for {_t}, so {(WindowGrowth >= p.WindowGrowth ? _t : ChainNames.Ticker(p.Chain))} led the window by {Percent(Math.Abs(WindowGrowth - p.WindowGrowth))}. ");
            }
            b.Append("A correlation near 1 means the chains share one market driver and diversification between them is weak; a lower value leaves room for relative-value trades. ");
            b.Append(VolumeSentence());
            b.Append($" Support for {_t} is the {Day(_s.LowestClose.Day)} close of {Usd(LowClose)} [close_usd].");
            return b.ToString();
        }

        private string Network()
        {
            var m = _s.Last;
            var b = new StringBuilder();
            if (m.Get(MetricNames.DailyTransactions) is { } tx)
                b.Append($"The network processed {Value(tx)} [daily_txns] transactions on {Day(_task.End)}. ");
            if (m.Get(MetricNames.UniqueUsers) is { } users)
                b.Append($"{Value(users)} [unique_users] users were active, a measure of real participants rather than traders. ");
            if (m.Get(MetricNames.VolumeUsd) is { } vol)
                b.Append($"Network demand shows in trading volume of {Usd(vol)} [volume_usd] on the last day; ");
            b.Append(VolumeSentence());
            if (m.Get(MetricNames.MarketCapUsd) is { } cap)
                b.Append($" The network is valued at {Usd(cap)} [market_cap_usd], and its growth trajectory over the window is {Percent(WindowGrowth)}.");
            b.Append($" On {Day(_s.DaysBack(7).Day)} {_t} closed at {Usd(_s.CloseDaysBack(7))} [close_usd], which is the base for the weekly trend of {Percent(Growth7)}.");
            b.Append($" Support sits near the {Day(_s.LowestClose.Day)} close of {Usd(LowClose)} [close_usd].");
            return b.ToString();
        }

        private string RiskFactors()
        {
            var var95 = _s.Bootstrap(1, 0.90, StableHash.Of(_task.Key) + 2).Lower;
            return $"Volatility risk: realised volatility of {Percent(Vol30)} per day is {Percent(AnnualVol)} annualised, so a 2-sigma daily move is about {Percent(2 * Vol30)}. " +
                   $"Drawdown risk: {_t} is {Percent(Math.Abs(Drawdown))} below its window high of {Usd(HighClose)} set on {Day(_s.HighestClose.Day)}. " +
                   $"Tail risk: the bootstrap 1-day 5% quantile of returns is {Percent(var95)}, the loss a position should survive on a bad day. " +
                   CorrelationRisk() +
                   $" On {Day(_s.DaysBack(7).Day)} {_t} closed at {Usd(_s.CloseDaysBack(7))} [close_usd], so the last week's move of {Percent(Growth7)} is the momentum at risk. " +
                   VolumeSentence();
        }

        private string CorrelationRisk() => _peers.Count > 0 && _s.CorrelationWith(_peers[0]) is { } c
            ? $"Systemic risk: the window correlation with {ChainNames.Ticker(_peers[0].Chain)} is {Ratio(c)}, so a sell-off there {(c > 0.5 ? "would likely drag" : "may not fully spread to")} {_t}."
            : "Systemic risk: no second chain is available to measure contagion, so the market-wide risk is unquantified.";

        private string Opportunities()
        {
            var discount = (Last - Avg7) / Avg7;
            return $"Mean reversion: {_t} trades {Percent(Math.Abs(discount))} {(discount >= 0 ? "above" : "below")} its 7-day average of {Usd(Avg7)}, " +
                   $"{(discount < 0 ? "an entry below fair value if the trend holds" : "so chasing it adds risk; better entries sit near support")}. " +
                   $"Momentum: the week {(Rising ? "added" : "removed")} {Percent(Math.Abs(Growth7))}, and on {Day(_s.DaysBack(7).Day)} {_t} closed at {Usd(_s.CloseDaysBack(7))} [close_usd]. " +
                   $"Range trade: support is the {Day(_s.LowestClose.Day)} close of {Usd(LowClose)} [close_usd] and resistance the {Day(_s.HighestClose.Day)} close of {Usd(HighClose)} [close_usd]. " +
                   (_peers.Count > 0 ? $"Relative value: {ChainNames.Ticker(_peers[0].Chain)} moved {Percent(_peers[0].WindowGrowth)} against {Percent(WindowGrowth)} for {_t}, a spread of {Percent(Math.Abs(WindowGrowth - _peers[0].WindowGrowth))} to trade if it narrows. " : "") +
                   VolumeSentence();
        }

        private string Forecast() =>
            $"- 7-day price: 90% CI: [{Usd(WeekLow)}, {Usd(WeekHigh)}], point estimate {Usd(WeekPoint)}, from {WindowStatistics.BootstrapSamples:N0} bootstrap resamples of the window's {_s.LogReturns.Count} daily log returns.\n" +
            $"- 30-day return: 90% CI: [{Percent(_month.Lower)}, {Percent(_month.Upper)}], point estimate {Percent(_month.Point)}.\n" +
            $"- The intervals are wide because daily volatility is {Percent(Vol30)}; the median path implies {Percent(_week.Point)} over 7 days.";

        private string Risks() =>
            $"Volatility of {Percent(AnnualVol)} annualised means a 2-sigma daily move is about {Percent(2 * Vol30)}. " +
            $"The drawdown from the window high is {Percent(Drawdown)}, and the 30-day 90% range reaches {Percent(_month.Lower)} on the downside. " +
            CorrelationRisk() +
            $" Liquidity risk is {(_s.Last.Get(MetricNames.VolumeUsd) is not null ? "low while daily volume stays in the billions of dollars" : "unknown without volume data")}, so exits should be staged.";

        private string Mitigation() =>
            $"Size positions so that a {Percent(Math.Abs(_week.Lower))} weekly loss costs under 1% of the portfolio. " +
            $"Place stops below the bootstrap lower bound of {Usd(WeekLow)} and hedge part of the exposure when daily volatility stays above {Percent(Vol30)}. " +
            "Rebalance weekly, and reduce exposure when correlation between chains rises, because diversification then fails.";

        private string Recommendations()
        {
            var stop = Shown(WeekLow * 0.99);
            var target = Shown(Math.Max(WeekHigh, _s.LastClose * 1.02));
            var entry = Shown(Math.Min(_s.LastClose, Avg7));
            var stopPct = (stop - _s.LastClose) / _s.LastClose;
            var bullish = _task.Condition is MarketCondition.Bull or MarketCondition.Recovery or MarketCondition.Accumulation || (Rising && _task.Condition is not MarketCondition.Bear);
            var b = new StringBuilder();
            if (bullish)
            {
                b.AppendLine($"- Accumulate {_t}: allocate 5% of the portfolio in two tranches at {Usd(_s.LastClose)} and {Usd(entry)}, target {Usd(target)} over 30 days; stop-loss at {Usd(stop)} ({Percent(stopPct)}). Risk: a close below the 7-day average of {Usd(Avg7)} invalidates the trend.");
                b.AppendLine($"- Hold existing {_t} exposure at 10% of the portfolio, target {Usd(WeekPoint)} within 7 days; stop-loss {Usd(stop)}. Risk: volatility of {Percent(Vol30)} per day can trigger the stop on noise.");
            }
            else
            {
                b.AppendLine($"- Reduce {_t} exposure to 3% of the portfolio, selling into strength near {Usd(target)} over the next 7 days; stop-loss on the remaining position at {Usd(stop)} ({Percent(stopPct)}). Risk: a sharp rebound leaves the reduced position behind the market.");
                b.AppendLine($"- Wait for a close back above the 7-day average of {Usd(Avg7)} before adding; then enter 2% of the portfolio with target {Usd(target)} over 30 days and stop-loss {Usd(stop)}. Risk: waiting can miss the first part of a recovery.");
            }
            b.AppendLine($"- Hedge 25% of the {_t} position with a put spread at {Usd(Shown(WeekLow))} for 30 days if daily volatility stays above {Percent(Vol30)}; this caps the downside at about {Percent(Math.Abs(stopPct))}. Risk: the premium is lost if price stays in range.");
            return b.ToString().TrimEnd();
        }

        private static string Words(TaskKind kind) => SynthTask.KindName(kind).Replace('_', ' ');
    }

    private static string MarketTextOf(MarketCondition c) => c.ToString().ToLowerInvariant();
}
