namespace Cortex1.Domain;

/// <summary>The market regime a window of days is labelled with. Thresholds live in Ingest's labeller.</summary>
public enum MarketCondition
{
    Bull,
    Bear,
    Sideways,
    Volatile,
    Accumulation,
    Distribution,
    Recovery,
    Correction,
}

/// <summary>The kinds of reasoning task a training example can be.</summary>
public enum TaskKind
{
    MarketAnalysis,
    CrossChainCorrelation,
    ProtocolAnalysis,
    RiskAssessment,
    OpportunityDetection,
}
