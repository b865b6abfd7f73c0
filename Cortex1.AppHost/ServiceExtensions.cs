using System.Net.Http.Json;
using Cortex1.AppHost.Infrastructure;

namespace Cortex1.AppHost;

public static class ServiceExtensions
{
    /// <summary>
    /// A Cortex1 service, healthy when its /health is; it is given the stores it uses with <see cref="WithDatabase"/> and
    /// <see cref="WithBlobs"/>. Its endpoints are plain HTTP on localhost, so it takes no HTTPS certificate: without
    /// one, nothing looks for a trusted development certificate and the dashboard shows no warning about it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddCortex1Service<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
#pragma warning disable ASPIRECERTIFICATES001 // evaluation API; it is the documented way to turn the certificate off
        builder.AddProject<TProject>(name).WithHttpHealthCheck("/health").WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

    /// <summary>PostgreSQL as <c>ConnectionStrings:cortexdb</c>, waited for.</summary>
    public static IResourceBuilder<ProjectResource> WithDatabase(this IResourceBuilder<ProjectResource> service, Cortex1Infrastructure infra) =>
        service.WithReference(infra.Database, "cortexdb").WaitFor(infra.Database);

    /// <summary>Blob storage as <c>ConnectionStrings:blobs</c>, waited for.</summary>
    public static IResourceBuilder<ProjectResource> WithBlobs(this IResourceBuilder<ProjectResource> service, Cortex1Infrastructure infra) =>
        service.WithReference(infra.Blobs, "blobs").WaitFor(infra.Blobs);

    /// <summary>A secret parameter, declared when a value is configured under Parameters:{name}, and always when publishing.</summary>
    public static IResourceBuilder<ParameterResource>? AddOptionalSecret(this IDistributedApplicationBuilder builder, string name) =>
        // A deployment (publish mode, what azd reads) always declares it, so the operator can supply it there; a
        // service treats an empty value as "not configured", as it does locally.
        builder.ExecutionContext.IsPublishMode || !string.IsNullOrWhiteSpace(builder.Configuration[$"Parameters:{name}"])
            ? builder.AddParameter(name, secret: true)
            : null;

    public static IResourceBuilder<ProjectResource> WithSecret(
        this IResourceBuilder<ProjectResource> service, string variable, IResourceBuilder<ParameterResource>? secret) =>
        secret is null ? service : service.WithEnvironment(variable, secret);

    /// <summary>A dashboard button that POSTs a JSON body to one of the service's endpoints (e.g. to queue a job).</summary>
    public static IResourceBuilder<ProjectResource> WithPostCommand(
        this IResourceBuilder<ProjectResource> service, string name, string displayName, string path, object body) =>
        service.WithHttpCommand(path, displayName, commandName: name, commandOptions: new HttpCommandOptions
        {
            Method = HttpMethod.Post,
            PrepareRequest = ctx =>
            {
                ctx.Request.Content = JsonContent.Create(body);
                return Task.CompletedTask;
            },
        });

    /// <summary>Links on the resource (dashboard: URLs column) to pages of its http endpoint.</summary>
    public static IResourceBuilder<ProjectResource> WithPageUrls(this IResourceBuilder<ProjectResource> service, params (string Path, string Text)[] pages) =>
        service.WithUrls(context =>
        {
            var http = context.GetEndpoint("http");
            foreach (var (path, text) in pages)
                context.Urls.Add(new ResourceUrlAnnotation { Url = path, DisplayText = text, Endpoint = http });
        });
}
