namespace Cortex1.TestSupport;
