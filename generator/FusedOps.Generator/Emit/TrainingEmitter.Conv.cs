using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>Conv2d training passes that run on the runtime's <c>Conv2dTrainer</c> (see <see cref="TrainingConv.OnGrid"/>).</summary>
internal static partial class TrainingEmitter
{
    private static void WriteConvTrainerFields(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.AllGroups)
        {
            if (g.Conv is { } c && TrainingConv.OnGrid(c))
            {
                w.Line($"private readonly Conv2dTrainer _conv{g.Index} = new({c.C}, {c.H}, {c.W}, {c.OC}, {c.K}, {c.Pad}, {c.Dilation});");
            }
        }
    }

    /// <summary>z = conv(x) + bias for the batch, split over samples; the channel sums of the conv output when BatchNorm follows.</summary>
    private static void WriteGridForward(CodeWriter w, GroupPlan g, GroupBuffers r)
    {
        int i = g.Index;
        string bias = g.HasBias ? Field(g.Op!, "Bias") + ".Data" : "null";
        if (TrainingConv.ActivationOnGrid(g))
        {
            w.Line($"_conv{i}.Forward({g.Operator.New()}, {r.Input}, {Field(g.Op!, "Weight")}.Data, {bias}, {r.Z}, {r.Output}, n);");
            return;
        }

        string sums = r.ChannelSums ? $"_sum{i}, _sumSq{i}" : "null, null";
        w.Line($"_conv{i}.Forward({r.Input}, {Field(g.Op!, "Weight")}.Data, {bias}, {r.Z}, n, {sums});");
    }

    /// <summary>
    /// dW, dB (accumulated) and dX for the batch, split over samples; with <paramref name="normArgs"/> (z, γ, μ, invStd and the
    /// sums of a BatchNorm's backward), dz is formed from the BatchNorm's dU per sample on the way; with the activation on the
    /// grid, from dY through the activation's derivative at <paramref name="z"/>.
    /// </summary>
    private static void WriteGridBackward(CodeWriter w, GroupPlan g, string x, string? normArgs, string z)
    {
        string weight = Field(g.Op!, "Weight");
        string bias = g.HasBias ? Field(g.Op!, "Bias") + ".Grad" : "null";
        if (TrainingConv.ActivationOnGrid(g))
        {
            w.Line($"_conv{g.Index}.Backward({g.Operator.New()}, {x}, ref dz, {z}, {weight}.Data, {weight}.Grad, {bias}, ref dx, wantInput, n);");
            return;
        }

        string norm = normArgs is null ? string.Empty : normArgs + ", ";
        w.Line($"_conv{g.Index}.Backward({x}, ref dz, {norm}{weight}.Data, {weight}.Grad, {bias}, ref dx, wantInput, n);");
    }
}
