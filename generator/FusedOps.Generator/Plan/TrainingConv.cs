namespace FusedOps.Generator.Plan;

/// <summary>How a Conv2d layer's training passes run.</summary>
internal static class TrainingConv
{
    /// <summary>
    /// Stride 1 and one group: the runtime's <c>Conv2dTrainer</c> (the padded-width grid, split over samples) runs
    /// Forward and Backward. Other layers run the generated per-sample kernels on one thread.
    /// </summary>
    public static bool OnGrid(ConvPlan c) => c.Stride == 1 && c.Groups == 1;

    /// <summary>
    /// A grid Conv2d with no BatchNorm whose group ends in an activation alone (no residual Add): the <c>Conv2dTrainer</c>
    /// applies it per sample in its epilogue (forward) and its derivative as the gradient goes onto the grid (backward),
    /// so the group's elementwise passes are not separate passes over the batch.
    /// </summary>
    public static bool ActivationOnGrid(GroupPlan g) =>
        g.Conv is { } c && OnGrid(c) && g.Norm is null && g.Join is null && g.Activation is not null
        && System.Linq.Enumerable.Any(g.Forward, p => p.Kind == PassKind.Elementwise);
}
