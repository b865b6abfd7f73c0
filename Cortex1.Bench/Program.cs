using Cortex1.Bench;

return await LlamaCppBench.RunAsync(args);
