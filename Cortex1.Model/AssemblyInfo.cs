namespace Cortex1.Model;
