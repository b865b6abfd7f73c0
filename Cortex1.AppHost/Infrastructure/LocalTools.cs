namespace Cortex1.AppHost.Infrastructure;
