using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// LayerNorm, GroupNorm and InstanceNorm through <c>SampleNorm</c>: statistics, then normalise + affine +
/// activation in one pass (forward); the activation derivative with the norm's reductions, then the
/// input gradient (backward). Per-sample statistics, so inference computes them as training does.
/// </summary>
internal static partial class StandaloneEmitter
{
    /// <summary>
    /// The kernel's geometry: LayerNorm is one group over the whole sample taken as channels of one value
    /// (γ and β per element); GroupNorm and InstanceNorm are groups of whole channels.
    /// </summary>
    private static (int Groups, int Channels, int Spatial) Geometry(SampleNormLayer norm, Shape input) => norm.Kind switch
    {
        SampleNormKind.Layer => (1, input.Length, 1),
        SampleNormKind.Group => (norm.Groups, input.C, input.Spatial),
        _ => (input.C, input.C, input.Spatial),
    };

    private static string NormShape(SampleNormLayer norm, Shape input)
    {
        (int groups, int channels, int spatial) = Geometry(norm, input);
        return $"new SampleNorm.Shape({groups}, {channels}, {spatial}, {Literal.Float(norm.Epsilon)})";
    }

    private static void NormTrainingFields(CodeWriter w, GroupPlan g, SampleNormLayer norm)
    {
        int i = g.Index, channels = Geometry(norm, g.Input).Channels;
        w.Line($"private float[] _normMean{i} = Array.Empty<float>();");
        w.Line($"private float[] _normInvStd{i} = Array.Empty<float>();");
        w.Line($"private readonly float[] _normScale{i} = new float[{channels}];");
        w.Line($"private readonly float[] _normShift{i} = new float[{channels}];");
        w.Line($"private readonly float[] _normDu{i} = new float[{g.InLength}];");
        w.Line($"private readonly SampleNorm.Scratch _normScratch{i} = new({channels});");
    }

    private static void NormForward(CodeWriter w, GroupPlan g, SampleNormLayer norm, string x, string y)
    {
        int i = g.Index, groups = Geometry(norm, g.Input).Groups;
        Grow(w, $"_normMean{i}", "float", $"n * {groups}");
        Grow(w, $"_normInvStd{i}", "float", $"n * {groups}");
        string gamma = TrainingEmitter.Data(null, norm, "Weight", norm.Affine), beta = TrainingEmitter.Data(null, norm, "Bias", norm.Affine);
        w.Line($"var shape = {NormShape(norm, g.Input)};");
        w.Line($"var act = {g.Operator.New()};");
        w.Line($"SampleNorm.Forward(act, ref {x}[0], ref {y}[0], n, shape, {gamma}, {beta}, _normMean{i}, _normInvStd{i}, _normScale{i}, _normShift{i});");
    }

    private static void NormBackward(CodeWriter w, GroupPlan g, SampleNormLayer norm, string x)
    {
        int i = g.Index;
        string gamma = TrainingEmitter.Data(null, norm, "Weight", norm.Affine), beta = TrainingEmitter.Data(null, norm, "Bias", norm.Affine);
        string gammaGrad = norm.Affine ? $"{TrainingEmitter.Field(norm, "Weight")}.Grad" : "default";
        string betaGrad = norm.Affine ? $"{TrainingEmitter.Field(norm, "Bias")}.Grad" : "default";
        w.Line($"var shape = {NormShape(norm, g.Input)};");
        w.Line($"var act = {g.Operator.New()};");
        w.Line($"ref float xs = ref {x}[0];");
        w.Line($"SampleNorm.Backward(act, ref dy, ref xs, ref dx, wantInput, n, shape, {gamma}, {beta}, _normMean{i}, _normInvStd{i}, {gammaGrad}, {betaGrad}, _normDu{i}, _normScratch{i});");
    }

    /// <summary>Inference fields: γ and β (copied when frozen, so the frozen model never changes).</summary>
    public static void InferenceFields(CodeWriter w, PipelineModel m)
    {
        ChannelInferenceFields(w, m);
        ExtraInferenceFields(w, m);
        foreach (GroupPlan g in m.Groups.Where(g => g.Op is SampleNormLayer { Affine: true }))
        {
            w.Line($"private readonly float[] _gamma{g.Index};");
            w.Line($"private readonly float[] _beta{g.Index};");
        }
    }

    /// <summary>Inference constructor lines for the norms' γ and β.</summary>
    public static void InferenceConstructor(CodeWriter w, PipelineModel m)
    {
        ChannelInferenceConstructor(w, m);
        ExtraInferenceConstructor(w, m);
        foreach (GroupPlan g in m.Groups.Where(g => g.Op is SampleNormLayer { Affine: true }))
        {
            w.Line($"// Group {g.Index}: {g.Describe()}.");
            w.Line($"_gamma{g.Index} = model.{TrainingEmitter.Field(g.Op!, "Weight")}.Data;");
            w.Line($"_beta{g.Index} = model.{TrainingEmitter.Field(g.Op!, "Bias")}.Data;");
            w.Open("if (fold)");
            w.Line($"_gamma{g.Index} = (float[])_gamma{g.Index}.Clone();");
            w.Line($"_beta{g.Index} = (float[])_beta{g.Index}.Clone();");
            w.Close();
        }
    }

    private static void NormInfer(CodeWriter w, GroupPlan g, SampleNormLayer norm)
    {
        int i = g.Index;
        (int groups, int channels, _) = Geometry(norm, g.Input);
        w.Line("// Statistics of each sample, as in training; the scratch is rented, so concurrent calls do not share it.");
                w.Line($"float[] stats = CallBuffers.Rent(2 * m * {groups});");
        w.Line($"float[] affine = CallBuffers.Rent(2 * {channels});");
        w.Line($"var shape = {NormShape(norm, g.Input)};");
        w.Line($"var act = {g.Operator.New()};");
        w.Line($"Span<float> mean = stats.AsSpan(0, m * {groups});");
        w.Line($"Span<float> invStd = stats.AsSpan(m * {groups}, m * {groups});");
        w.Line($"Span<float> scale = affine.AsSpan(0, {channels});");
        w.Line($"Span<float> shift = affine.AsSpan({channels}, {channels});");
        string gamma = norm.Affine ? $"_gamma{i}" : "default", beta = norm.Affine ? $"_beta{i}" : "default";
        w.Line($"SampleNorm.Forward(act, ref x, ref y, m, shape, {gamma}, {beta}, mean, invStd, scale, shift);");
        w.Line("CallBuffers.Return(stats);");
        w.Line("CallBuffers.Return(affine);");
    }
}
