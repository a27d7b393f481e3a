namespace FusedOps.Generator.Plan;

/// <summary>How a Conv2d layer's training passes run.</summary>
internal static class TrainingConv
{
    /// <summary>
    /// Stride 1 and one group: the runtime's <c>Conv2dTrainer</c> (the padded-width grid, split over samples) runs
    /// Forward and Backward. Other layers run the generated per-sample kernels on one thread.
    /// </summary>
    public static bool OnGrid(ConvPlan c) => c.Stride == 1 && c.Groups == 1;
}
