namespace Cortex1.Rewards;
