using System.Linq;

namespace FusedOps.Generator.Model;

/// <summary>
/// One layer attribute, parsed into primitives: one sealed record per kind, so nothing downstream
/// reads a field that its kind does not have. Defaults are PyTorch's. <see cref="Location"/> is
/// for diagnostics only; the planner strips it from the model it hands to the emitter.
/// </summary>
internal abstract record Layer(int Index, string Name, LocationInfo? Location)
{
    /// <summary>
    /// The state-dict prefix of the layer's tensors: its index, or <c>{i}.proj</c> / <c>{i}.bn</c> for the
    /// projection of an <c>[Add(Projection = true)]</c>.
    /// </summary>
    public string StateKey { get; init; } = Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The layer as written in the <c>// Pipeline:</c> header.</summary>
    public virtual string Describe() => Name;

    /// <summary>A copy without source locations (moving a declaration must not re-run the emitter).</summary>
    public abstract Layer WithoutLocations();

    internal static string B(bool value) => value ? "true" : "false";

    internal static string F(float value) => Literal.Float(value);

    /// <summary>The weight option as written, or nothing for a plain weight.</summary>
    internal static string FormText(WeightFormKind form) => form == WeightFormKind.Plain ? string.Empty : $", {form} = true";
}

/// <summary><c>[Linear(outFeatures)]</c>: <c>nn.Linear</c>.</summary>
internal sealed record LinearLayer(int Index, int OutFeatures, bool Bias, LocationInfo? Location)
    : Layer(Index, "Linear", Location)
{
    /// <summary>How the weight is parametrised (WeightNorm, SpectralNorm or plain).</summary>
    public WeightFormKind Form { get; init; }

    public override string Describe() => $"Linear({OutFeatures}, Bias = {B(Bias)}{FormText(Form)})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary><c>[Conv2d(outChannels, kernelSize)]</c>: <c>nn.Conv2d</c>, square kernel, zero padding.</summary>
internal sealed record Conv2dLayer(
    int Index, int OutChannels, int KernelSize, int Stride, int Padding, int Dilation, int Groups, bool Bias, LocationInfo? Location)
    : Layer(Index, "Conv2d", Location)
{
    /// <summary>Where <c>Groups</c> is written (null when left at 1), so the planner's divisibility check can point at it.</summary>
    public LocationInfo? GroupsLocation { get; init; }

    /// <summary>How the weight is parametrised (WeightNorm, SpectralNorm or plain).</summary>
    public WeightFormKind Form { get; init; }

    public override string Describe() =>
        $"Conv2d({OutChannels}, {KernelSize}, Stride = {Stride}, Padding = {Padding}, Dilation = {Dilation}, Groups = {Groups}, Bias = {B(Bias)}{FormText(Form)})";

    public override Layer WithoutLocations() => this with { Location = null, GroupsLocation = null };
}

/// <summary><c>[BatchNorm]</c>: <c>nn.BatchNorm1d/2d</c> by rank.</summary>
internal sealed record BatchNormLayer(int Index, float Epsilon, float Momentum, bool Affine, LocationInfo? Location)
    : Layer(Index, "BatchNorm", Location)
{
    public override string Describe() => $"BatchNorm(Epsilon = {F(Epsilon)}, Momentum = {F(Momentum)}, Affine = {B(Affine)})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary><c>[Flatten]</c>: free, the data is already contiguous.</summary>
internal sealed record FlattenLayer(int Index, LocationInfo? Location) : Layer(Index, "Flatten", Location)
{
    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary>An elementwise activation with its arguments in the order of its <c>ActivationTable</c> entry.</summary>
internal sealed record ActivationLayer(int Index, string Name, EquatableArray<float> Arguments, LocationInfo? Location)
    : Layer(Index, Name, Location)
{
    public override string Describe() =>
        Arguments.Count == 0 ? Name : $"{Name}({string.Join(", ", Arguments.Select(a => F(a)))})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary>A layer of the API that the generator does not emit yet (FOPS0007 has been reported).</summary>
internal sealed record UnsupportedLayer(int Index, string Name, LocationInfo? Location) : Layer(Index, Name, Location)
{
    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary><c>[Save(name)]</c>: names the current tensor for a later Add or Concat; passes it on unchanged.</summary>
internal sealed record SaveLayer(int Index, string SavedName, LocationInfo? Location) : Layer(Index, "Save", Location)
{
    public override string Describe() => $"Save(\"{SavedName}\")";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary><c>[Add(name)]</c>: current + saved tensor; with <c>Projection</c>, the saved one through a 1×1 Conv2d and a BatchNorm first.</summary>
internal sealed record AddLayer(int Index, string SavedName, bool Projection, LocationInfo? Location) : Layer(Index, "Add", Location)
{
    public override string Describe() => Projection ? $"Add(\"{SavedName}\", Projection = true)" : $"Add(\"{SavedName}\")";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary><c>[Concat(name)]</c>: channels (features) <c>[current, saved]</c>.</summary>
internal sealed record ConcatLayer(int Index, string SavedName, LocationInfo? Location) : Layer(Index, "Concat", Location)
{
    public override string Describe() => $"Concat(\"{SavedName}\")";

    public override Layer WithoutLocations() => this with { Location = null };
}
