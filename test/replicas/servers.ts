/** The provider test servers, from the packages' `testing` entries (public API only). */
import { DineroTestServer } from "@nordkit/dinero/testing"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import { MoneriumTestServer } from "@nordkit/monerium/testing"

export const dintero = async () => DinteroTestServer
export const dinero = async () => DineroTestServer
export const monerium = async () => MoneriumTestServer
