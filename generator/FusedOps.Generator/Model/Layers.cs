using System.Linq;

namespace FusedOps.Generator.Model;

/// <summary>
/// One layer attribute, parsed into primitives: one sealed record per kind, so nothing downstream
/// reads a field that its kind does not have. Defaults are PyTorch's. <see cref="Location"/> is
/// for diagnostics only; the planner strips it from the model it hands to the emitter.
/// </summary>
internal abstract record Layer(int Index, string Name, LocationInfo? Location)
{
    /// <summary>The layer as written in the <c>// Pipeline:</c> header.</summary>
    public virtual string Describe() => Name;

    /// <summary>A copy without source locations (moving a declaration must not re-run the emitter).</summary>
    public abstract Layer WithoutLocations();

    internal static string B(bool value) => value ? "true" : "false";

    internal static string F(float value) => Literal.Float(value);
}

/// <summary><c>[Linear(outFeatures)]</c>: <c>nn.Linear</c>.</summary>
internal sealed record LinearLayer(int Index, int OutFeatures, bool Bias, LocationInfo? Location)
    : Layer(Index, "Linear", Location)
{
    public override string Describe() => $"Linear({OutFeatures}, Bias = {B(Bias)})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary><c>[Conv2d(outChannels, kernelSize)]</c>: <c>nn.Conv2d</c>, square kernel, zero padding.</summary>
internal sealed record Conv2dLayer(
    int Index, int OutChannels, int KernelSize, int Stride, int Padding, int Dilation, int Groups, bool Bias, LocationInfo? Location)
    : Layer(Index, "Conv2d", Location)
{
    /// <summary>Where <c>Groups</c> is written (null when left at 1), so the planner's divisibility check can point at it.</summary>
    public LocationInfo? GroupsLocation { get; init; }

    public override string Describe() =>
        $"Conv2d({OutChannels}, {KernelSize}, Stride = {Stride}, Padding = {Padding}, Dilation = {Dilation}, Groups = {Groups}, Bias = {B(Bias)})";

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
