using System.Net;
using System.Net.Sockets;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>Ports on the loopback interface: the only address anything local listens on or talks to.</summary>
public static class LoopbackPorts
{
    /// <summary>A port free now (the system's choice), for a listener started right after.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
