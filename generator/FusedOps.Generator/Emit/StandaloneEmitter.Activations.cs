using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>BipolarReLU, PReLU and RReLU through <c>ChannelActivations</c>: one pass forward, one backward.</summary>
internal static partial class StandaloneEmitter
{
    /// <summary>Constructor lines after the tensors exist: PReLU's slopes start at Init.</summary>
    public static void InitialValues(CodeWriter w, PipelineModel m)
    {
        foreach (ChannelActivationLayer prelu in m.Layers.OfType<ChannelActivationLayer>().Where(l => l.Kind == ChannelActivationKind.PReLU))
        {
            w.Line($"CallBuffers.Fill({TrainingEmitter.Field(prelu, "Weight")}.Data, {Literal.Float(prelu.Init)});");
        }
    }

    /// <summary>Inference fields: PReLU's slopes (copied when frozen), unless a convolution's epilogue runs the PReLU.</summary>
    private static void ChannelInferenceFields(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups.Where(g => g.Op is ChannelActivationLayer { Kind: ChannelActivationKind.PReLU } && g.Inference.Count > 0))
        {
            w.Line($"private readonly float[] _slopes{g.Index};");
        }
    }

    private static void ChannelInferenceConstructor(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups.Where(g => g.Op is ChannelActivationLayer { Kind: ChannelActivationKind.PReLU } && g.Inference.Count > 0))
        {
            w.Line($"_slopes{g.Index} = model.{TrainingEmitter.Field(g.Op!, "Weight")}.Data;");
            w.Open("if (fold)");
            w.Line($"_slopes{g.Index} = (float[])_slopes{g.Index}.Clone();");
            w.Close();
        }
    }

    private static string Planes(GroupPlan g, string n) =>
        g.Input.Rank == 1 ? $"{n}, {g.Input.C}, 1" : $"{n}, {g.Input.C}, {g.Input.Spatial}";

    private static void ChannelForward(CodeWriter w, GroupPlan g, ChannelActivationLayer layer, string x, string y)
    {
        int i = g.Index;
        switch (layer.Kind)
        {
            case ChannelActivationKind.BipolarReLU:
                w.Line($"ChannelActivations.BipolarForward(ref {x}[0], ref {y}[0], {Planes(g, "n")});");
                break;
            case ChannelActivationKind.PReLU:
                w.Line($"ChannelActivations.PReluForward(ref {x}[0], ref {y}[0], {Planes(g, "n")}, {TrainingEmitter.Field(layer, "Weight")}.Data);");
                break;
            default:
                Grow(w, $"_slopes{i}", "float", $"n * {g.InLength}");
                string lower = Literal.Float(layer.Lower), upper = Literal.Float(layer.Upper);
                w.Line($"ChannelActivations.RReluForward(ref {x}[0], ref {y}[0], _slopes{i}.AsSpan(0, n * {g.InLength}), {lower}, {upper}, _random!);");
                break;
        }
    }

    private static void ChannelBackward(CodeWriter w, GroupPlan g, ChannelActivationLayer layer, string x)
    {
        int i = g.Index;
        if (layer.Kind == ChannelActivationKind.PReLU)
        {
            // The slopes take their gradient even when the input gradient is not wanted.
            string weight = TrainingEmitter.Field(layer, "Weight");
            w.Line($"ChannelActivations.PReluBackward(ref dy, ref {x}[0], ref dx, wantInput, {Planes(g, "n")}, {weight}.Data, {weight}.Grad);");
            return;
        }

        w.Open("if (!wantInput)");
        w.Line("return;");
        w.Close();
        w.Line();
        w.Line(layer.Kind == ChannelActivationKind.BipolarReLU
            ? $"ChannelActivations.BipolarBackward(ref dy, ref {x}[0], ref dx, {Planes(g, "n")});"
            : $"ChannelActivations.RReluBackward(ref dy, ref {x}[0], _slopes{i}.AsSpan(0, n * {g.InLength}), ref dx);");
    }

    private static void ChannelInfer(CodeWriter w, GroupPlan g, ChannelActivationLayer layer)
    {
        switch (layer.Kind)
        {
            case ChannelActivationKind.BipolarReLU:
                w.Line($"ChannelActivations.BipolarForward(ref x, ref y, {Planes(g, "m")});");
                break;
            case ChannelActivationKind.PReLU:
                w.Line($"ChannelActivations.PReluForward(ref x, ref y, {Planes(g, "m")}, _slopes{g.Index});");
                break;
            default:
                w.Line("// Inference: a leaky ReLU with the mean slope (Lower + Upper)/2.");
                string slope = $"RReluOperator.InferenceSlope({Literal.Float(layer.Lower)}, {Literal.Float(layer.Upper)})";
                w.Line($"ActivationPass.Forward(new PReluOperator({slope}), ref x, ref y, m * {g.InLength});");
                break;
        }
    }
}
