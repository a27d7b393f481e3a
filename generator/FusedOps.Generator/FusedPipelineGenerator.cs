using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Emit;
using FusedOps.Generator.Model;
using FusedOps.Generator.Parse;
using FusedOps.Generator.Plan;
using Microsoft.CodeAnalysis;

namespace FusedOps.Generator;

/// <summary>Generates fused forward, backward and inference code for <c>[FusedPipeline]</c> classes.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class FusedPipelineGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the parse-and-plan step (tests check its caching).</summary>
    public const string ParseStep = "FusedOps.Parse";

    /// <summary>Tracking name of the step that keeps only models to emit.</summary>
    public const string ModelStep = "FusedOps.Model";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<PipelineResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                WellKnownNames.FusedPipelineAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                static (ctx, ct) => PipelineParser.Parse(ctx, ct))
            .WithTrackingName(ParseStep);

        // Diagnostics are mapped back onto the compilation's syntax trees when reported, so that
        // #pragma warning disable and [SuppressMessage] apply to them; the cached steps hold none.
        IncrementalValueProvider<(System.Collections.Immutable.ImmutableArray<DiagnosticInfo> Left, Compilation Right)> diagnostics = results
            .SelectMany(static (r, _) => r.Diagnostics)
            .Collect()
            .Combine(context.CompilationProvider);
        context.RegisterSourceOutput(diagnostics, static (spc, pair) =>
        {
            foreach (DiagnosticInfo d in pair.Left)
            {
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ById(d.Id), d.Location?.ToLocation(pair.Right), d.Arguments.AsSpan().ToArray()));
            }
        });

        IncrementalValuesProvider<PipelineModel> models = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(ModelStep);

        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            System.Collections.Generic.List<GeneratedFile> files;
            try
            {
                files = PipelineEmitter.Emit(model);
            }
            catch (System.Exception ex)
            {
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, null, model.TypeName, ex.GetType().Name + ": " + ex.Message));
                return;
            }

            foreach (GeneratedFile file in files)
            {
                spc.AddSource(file.HintName, file.Text);
            }
        });
    }
}
