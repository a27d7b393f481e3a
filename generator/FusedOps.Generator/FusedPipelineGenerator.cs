using Microsoft.CodeAnalysis;

namespace FusedOps.Generator;

/// <summary>Generates fused forward, backward and inference code for <c>[FusedPipeline]</c> classes.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class FusedPipelineGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
