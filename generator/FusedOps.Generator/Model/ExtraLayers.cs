namespace FusedOps.Generator.Model;

/// <summary>
/// A layer that is a fusion group of its own (its anchor): pooling, Dropout, the per-sample norms. Its
/// passes are written by <c>Emit/StandaloneEmitter</c>; the group may take the activation after it
/// when <see cref="TakesActivation"/> (a norm normalises, applies its affine and activates in one pass).
/// </summary>
internal abstract record StandaloneLayer(int Index, string Name, LocationInfo? Location) : Layer(Index, Name, Location)
{
    /// <summary>Whether the activation after this layer runs in the layer's own pass.</summary>
    public virtual bool TakesActivation => false;
}

/// <summary><c>[Dropout(P = 0.5f)]</c>: <c>nn.Dropout</c>, inverted; identity in inference.</summary>
internal sealed record DropoutLayer(int Index, float P, LocationInfo? Location) : StandaloneLayer(Index, "Dropout", Location)
{
    public override string Describe() => $"Dropout(P = {F(P)})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary>Which pooling a <see cref="PoolLayer"/> is.</summary>
internal enum PoolKind
{
    Max,
    Average,
    GlobalAverage,
}

/// <summary>
/// <c>[MaxPool2d(k)]</c>, <c>[AvgPool2d(k)]</c> (Stride defaults to k, Padding to 0) and
/// <c>[GlobalAvgPool2d]</c> (k, Stride and Padding unused).
/// </summary>
internal sealed record PoolLayer(int Index, string Name, PoolKind Kind, int KernelSize, int Stride, int Padding, LocationInfo? Location)
    : StandaloneLayer(Index, Name, Location)
{
    public override string Describe() =>
        Kind == PoolKind.GlobalAverage ? Name : $"{Name}({KernelSize}, Stride = {Stride}, Padding = {Padding})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary>Which per-sample norm a <see cref="SampleNormLayer"/> is.</summary>
internal enum SampleNormKind
{
    Layer,
    Group,
    Instance,
}

/// <summary>
/// <c>[LayerNorm]</c> (over the whole per-sample shape, γ and β per element), <c>[GroupNorm(groups)]</c>
/// and <c>[InstanceNorm]</c> (γ and β per channel): statistics per sample, no running state. It takes
/// the activation after it into its normalise pass.
/// </summary>
internal sealed record SampleNormLayer(int Index, string Name, SampleNormKind Kind, int Groups, float Epsilon, bool Affine, LocationInfo? Location)
    : StandaloneLayer(Index, Name, Location)
{
    /// <summary>Where <c>groups</c> is written, so the planner's divisibility check can point at it.</summary>
    public LocationInfo? GroupsLocation { get; init; }

    public override bool TakesActivation => true;

    public override string Describe() => Kind == SampleNormKind.Group
        ? $"GroupNorm({Groups}, Epsilon = {F(Epsilon)}, Affine = {B(Affine)})"
        : $"{Name}(Epsilon = {F(Epsilon)}, Affine = {B(Affine)})";

    public override Layer WithoutLocations() => this with { Location = null, GroupsLocation = null };
}

/// <summary>Which channel- or element-dependent activation a <see cref="ChannelActivationLayer"/> is.</summary>
internal enum ChannelActivationKind
{
    BipolarReLU,
    PReLU,
    RReLU,
}

/// <summary>
/// <c>[BipolarReLU]</c>, <c>[PReLU(NumParameters, Init)]</c> (learnable, state <c>{i}.weight</c>) and
/// <c>[RReLU(Lower, Upper)]</c> (a slope per element drawn in training): activations that depend on the
/// channel, a parameter or a random draw, so they run as a pass of their own.
/// </summary>
internal sealed record ChannelActivationLayer(int Index, string Name, ChannelActivationKind Kind, int NumParameters, float Init, float Lower, float Upper, LocationInfo? Location)
    : StandaloneLayer(Index, Name, Location)
{
    /// <summary>Where <c>NumParameters</c> is written, so the planner's channel check can point at it.</summary>
    public LocationInfo? NumParametersLocation { get; init; }

    public override string Describe() => Kind switch
    {
        ChannelActivationKind.PReLU => $"PReLU(NumParameters = {NumParameters}, Init = {F(Init)})",
        ChannelActivationKind.RReLU => $"RReLU(Lower = {F(Lower)}, Upper = {F(Upper)})",
        _ => Name,
    };

    public override Layer WithoutLocations() => this with { Location = null, NumParametersLocation = null };
}

/// <summary>
/// <c>[Maxout(pieces)]</c>: output channel (feature) j is the maximum of input channels j·pieces …
/// j·pieces + pieces − 1, so the channel count shrinks by <see cref="Pieces"/>. A pass of its own.
/// </summary>
internal sealed record MaxoutLayer(int Index, int Pieces, LocationInfo? Location) : StandaloneLayer(Index, "Maxout", Location)
{
    /// <summary>Where <c>pieces</c> is written, so the planner's divisibility check can point at it.</summary>
    public LocationInfo? PiecesLocation { get; init; }

    public override string Describe() => $"Maxout({Pieces})";

    public override Layer WithoutLocations() => this with { Location = null, PiecesLocation = null };
}

/// <summary><c>[LocalResponseNorm(size, Alpha, Beta, K)]</c>: <c>nn.LocalResponseNorm</c> across channels, a pass of its own.</summary>
internal sealed record LocalResponseNormLayer(int Index, int Size, float Alpha, float Beta, float K, LocationInfo? Location)
    : StandaloneLayer(Index, "LocalResponseNorm", Location)
{
    public override string Describe() => $"LocalResponseNorm({Size}, Alpha = {F(Alpha)}, Beta = {F(Beta)}, K = {F(K)})";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary>How a Linear or Conv2d weight is parametrised (the options of <c>torch.nn.utils</c>).</summary>
internal enum WeightFormKind
{
    /// <summary>The plain <c>{i}.weight</c>.</summary>
    Plain,

    /// <summary><c>weight_norm(dim=0)</c>: w = g·v/‖v‖ per output row; state <c>weight_g</c>, <c>weight_v</c> after the bias.</summary>
    WeightNorm,

    /// <summary><c>spectral_norm</c>: w = w_orig/σ, one power iteration per training forward; state <c>weight_orig</c>, buffers <c>weight_u</c>, <c>weight_v</c>.</summary>
    SpectralNorm,
}

/// <summary>
/// <c>[Linear(out, CosineNorm = true)]</c>: y_j = w_j·x/(‖w_j‖·‖x‖) per sample (Luo et al. 2017), no bias,
/// state <c>{i}.weight</c>. The division by the input's norm makes it a group of its own: one GEMM and a
/// per-row scale in its forward pass.
/// </summary>
internal sealed record CosineLinearLayer(int Index, int OutFeatures, LocationInfo? Location) : StandaloneLayer(Index, "Linear", Location)
{
    public override string Describe() => $"Linear({OutFeatures}, CosineNorm = true)";

    public override Layer WithoutLocations() => this with { Location = null };
}

/// <summary>
/// <c>[SwitchableNorm]</c> (Luo et al. 2018) on (channels, height, width): mean and variance mixed by
/// softmax weights from instance, layer and batch statistics (running statistics in inference). It takes
/// the activation after it into its normalise pass.
/// </summary>
internal sealed record SwitchableNormLayer(int Index, float Epsilon, float Momentum, LocationInfo? Location)
    : StandaloneLayer(Index, "SwitchableNorm", Location)
{
    public override bool TakesActivation => true;

    public override string Describe() => $"SwitchableNorm(Epsilon = {F(Epsilon)}, Momentum = {F(Momentum)})";

    public override Layer WithoutLocations() => this with { Location = null };
}
