/*
 * proxy_tunnel.h - stage 04's part (proxy04_tunnel.c): the ports CONNECT
 * may reach (-p), and the tunnel (tunnel.h's tunnel_serve) that serves a
 * CONNECT request in place of stage 02's 501.
 */
#ifndef PROXY_TUNNEL_H
#define PROXY_TUNNEL_H

#include "stage.h"

extern const struct stage_part proxy_tunnel_part;

#endif /* PROXY_TUNNEL_H */
