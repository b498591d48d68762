/** The operators' door: the admin API's bearer token (ADMIN_TOKEN); without one the admin API is off. */
export class AdminSettings {
  constructor(readonly token: string | undefined) {}
}
