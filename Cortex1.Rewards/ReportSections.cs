using Cortex1.Domain;

namespace Cortex1.Rewards;

/// <summary>
/// The section headings a completion must contain, in this order, per task kind. Prompts ask for
/// exactly these; the structure reward checks them. Write each as a markdown heading
/// (<c>## Calculations</c>); numbering (<c>## 3. Calculations</c>) and a trailing colon are fine.
/// </summary>
public static class ReportSections
{
    public const string Summary = "Summary";
    public const string MarketData = "Market Data";
    public const string Calculations = "Calculations";
    public const string TrendAnalysis = "Trend Analysis";
    public const string CorrelationAnalysis = "Correlation Analysis";
    public const string NetworkAnalysis = "Network Analysis";
    public const string RiskFactors = "Risk Factors";
    public const string Opportunities = "Opportunities";
    public const string Forecast = "Forecast";
    public const string Risks = "Risks";
    public const string Mitigation = "Mitigation";
    public const string Recommendations = "Recommendations";

    public static IReadOnlyList<string> For(TaskKind kind) => kind switch
    {
        TaskKind.MarketAnalysis => MarketAnalysisSections,
        TaskKind.CrossChainCorrelation => CrossChainSections,
        TaskKind.ProtocolAnalysis => ProtocolSections,
        TaskKind.RiskAssessment => RiskSections,
        TaskKind.OpportunityDetection => OpportunitySections,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No sections defined for this task kind."),
    };

    private static readonly string[] MarketAnalysisSections =
        [Summary, MarketData, Calculations, TrendAnalysis, Forecast, Risks, Recommendations];
    private static readonly string[] CrossChainSections =
        [Summary, MarketData, Calculations, CorrelationAnalysis, Forecast, Risks, Recommendations];
    private static readonly string[] ProtocolSections =
        [Summary, MarketData, Calculations, NetworkAnalysis, Forecast, Risks, Recommendations];
    private static readonly string[] RiskSections =
        [Summary, MarketData, Calculations, RiskFactors, Forecast, Mitigation, Recommendations];
    private static readonly string[] OpportunitySections =
        [Summary, MarketData, Calculations, Opportunities, Forecast, Risks, Recommendations];
}
