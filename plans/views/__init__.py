"""The pages, a module per page: plan_list, plan, people, overview; common holds what they share."""
