package io.tandem.model.config;

/**
 * How the gateway spreads a service's traffic over its sites. ACTIVE_PASSIVE: only the instance at the
 * primary site of the service's resource (newest epoch); ACTIVE_ACTIVE: every healthy site, by weight.
 */
public enum ServiceMode { ACTIVE_PASSIVE, ACTIVE_ACTIVE }
